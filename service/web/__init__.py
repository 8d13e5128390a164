"""The web layer, the only user of Flask and Werkzeug: the app factory, errors, caching, views."""
