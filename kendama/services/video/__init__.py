"""Video: each session's private room and its joins, consent and the live states, recordings, and the demo's test call."""
