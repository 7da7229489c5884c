"""Adapters for outside services (payments, video, mail), each with an offline sandbox."""
