"""Rasa custom actions, served by rasa-sdk's action server (`python -m rasa_sdk --actions actions`).

One module per skill; rasa-sdk imports every submodule and registers each `Action`.
"""
