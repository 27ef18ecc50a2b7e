"""Server side of each venue: local emulators that speak the venues' documented protocols."""
