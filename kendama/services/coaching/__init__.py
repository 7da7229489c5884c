"""The coaching layer: the trick catalog, lesson goals, practice clips, coach notes and progress."""
