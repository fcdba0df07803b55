"""Rasa-server extensions that are not part of the trained model (endpoints.yml loads them)."""
