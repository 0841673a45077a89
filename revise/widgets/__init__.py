"""The app's own widgets: maths display, answer box, trace view, rating bar, topic table,
flashcard and the generated parameter form."""
