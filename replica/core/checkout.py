"""Where this checkout is: the folder holding the compose file, app/, db/, k6/ and replica/."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # replica/core/checkout.py
