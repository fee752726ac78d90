"""Zones domain: the TLC zone table and the Spark zone models built on NYC taxi trips."""
