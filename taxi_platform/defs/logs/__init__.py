"""The log pipeline (the old log ETL): click events from the Fernet log API to the bronze lake."""
