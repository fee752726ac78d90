"""Deployment helpers: from a deployed AWS stack (infra/aws) to the platform's settings."""
