"""Rasa custom actions, served by rasa-sdk's action server (`python -m rasa_sdk --actions actions`).

One module per skill; rasa-sdk imports every submodule and registers each `Action`.
"""

from lotsen.privacy import install_log_masking

install_log_masking()  # rasa-sdk's logs may quote what users typed: mask personal data
