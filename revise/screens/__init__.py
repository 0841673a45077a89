"""The app's screens: one module each (home, quiz, drill, explorer, exam, stats, settings, help,
summary). Only the home screen is imported at start-up; the others load when first opened."""
