"""The log pipeline (seed 002): click events from the Fernet log API to the bronze lake."""
