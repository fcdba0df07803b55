"""Text folding, the emergency lexicon and Lotsen's custom Rasa NLU components.

Imported by the Rasa server (its own environment) and by the gateway/actions, so only
the standard library and PyYAML are used outside `components.py`.
"""
