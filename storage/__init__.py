"""SQLModel tables and the repositories that implement bot.ports on SQLite or PostgreSQL."""
