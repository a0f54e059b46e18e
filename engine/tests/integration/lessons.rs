//! Lesson scenarios: each file in lessons/ parses, runs, and shows its point (being written).
