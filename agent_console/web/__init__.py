"""The browser console: cookie sessions with CSRF, the sign-in page and the agent's view."""
