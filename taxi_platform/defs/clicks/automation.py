"""This domain's automation sensor, RUNNING by default (`taxi_platform.automation`)."""

from taxi_platform.automation import domain_automation_sensor

automation = domain_automation_sensor(__package__)
