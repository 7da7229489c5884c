"""The marketplace layer: fans' public reviews and players' ratings, and the languages players teach in."""
