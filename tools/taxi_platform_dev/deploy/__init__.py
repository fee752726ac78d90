"""Deployment helpers: a deployed AWS stack (infra/aws) turned into the platform's settings,
and a read-only probe of every service those settings name."""
