"""Static assets of the built-in demo AU (``au.js``, ``style.css``); see ``content_demo``."""
