"""WRI Global Power Plant Database."""
