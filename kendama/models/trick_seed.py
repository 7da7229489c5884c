"""The trick catalog the platform starts with: well-known kendama tricks, by family and level.

Migration 0005 seeds these rows, and the tables made by create_all() (tests) get them too.
Administrators change the catalog afterwards in the app; a change meant for every installation
comes in a new migration, never by editing this list.
"""

from __future__ import annotations

# (name, also-known-as names, level 1-10, family)
SEED_TRICKS: tuple[tuple[str, tuple[str, ...], int, str], ...] = (
    ("Big Cup", ("Ozara",), 1, "cups"),
    ("Small Cup", ("Kozara",), 1, "cups"),
    ("Base Cup", ("Medium Cup", "Chuzara"), 1, "cups"),
    ("Candlestick", ("Bottom Cup Candle",), 2, "cups"),
    ("Around Japan", ("Nihon Isshu",), 2, "cups"),
    ("Around the World", ("Sekai Isshu",), 3, "cups"),
    ("Around USA", ("Around America",), 4, "cups"),
    ("Around Europe", (), 4, "cups"),
    ("Over the Valley", (), 4, "cups"),
    ("Swing to Big Cup", ("Swing Cup",), 2, "cups"),
    ("Spike", ("Tomeken", "Swing Spike"), 2, "spike"),
    ("Earth Turn", ("Chikyu Mawashi",), 4, "spike"),
    ("Jumping Stick", (), 5, "spike"),
    ("Whirlwind", (), 6, "spike"),
    ("Gunslinger", (), 6, "spike"),
    ("Spacewalk", ("Space Walk",), 7, "spike"),
    ("Downspike", ("Down Spike",), 7, "spike"),
    ("Double Whirlwind", (), 8, "spike"),
    ("Airplane", ("Hikoki",), 3, "airplane_lighthouse"),
    ("Lighthouse", ("Todai",), 4, "airplane_lighthouse"),
    ("Stuntplane", ("Stunt Plane",), 5, "airplane_lighthouse"),
    ("Fasthand Airplane", ("Fast Hand Airplane",), 6, "airplane_lighthouse"),
    ("Double Stuntplane", (), 7, "airplane_lighthouse"),
    ("Lighthouse Flip", (), 7, "airplane_lighthouse"),
    ("Double Lighthouse Flip", (), 9, "airplane_lighthouse"),
    ("Triple Lighthouse Flip", (), 10, "airplane_lighthouse"),
    ("Bird", ("Uguisu",), 4, "balance"),
    ("Lunar", (), 5, "balance"),
    ("Penguin", (), 5, "balance"),
    ("Handle Stall", (), 5, "balance"),
    ("UFO", (), 6, "balance"),
    ("Stilt", (), 6, "balance"),
    ("Lunar Flip", (), 7, "balance"),
    ("Bird Flip", (), 7, "balance"),
    ("Underbird", ("Under Bird",), 7, "balance"),
    ("Double Lunar", (), 8, "balance"),
    ("Cup Juggle", ("Big Cup Small Cup Juggle",), 3, "juggles"),
    ("Ken Flip", ("Kenflip",), 4, "juggles"),
    ("Spike Juggle", (), 6, "juggles"),
    ("Airplane Juggle", (), 6, "juggles"),
    ("Bird Juggle", (), 6, "juggles"),
    ("Lunar Juggle", (), 7, "juggles"),
    ("Lighthouse Juggle", (), 7, "juggles"),
    ("Double Ken Flip", ("Double Kenflip",), 8, "juggles"),
)
