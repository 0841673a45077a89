"""Question banks for learning-management systems: Moodle XML and QTI (Canvas), from the same
variants, answers and misconception rules as the app."""
