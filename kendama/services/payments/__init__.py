"""Payments: Stripe Checkout for a booking, refunds, player payouts through Connect, earnings, and the money rule."""
