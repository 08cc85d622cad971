"""Real-browser journeys (Playwright driving Debian's chromium)."""
