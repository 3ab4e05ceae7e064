"""What the client suites ask the running mock: a request that wants a tool, the tool, and a
structured-output model."""
from pydantic import BaseModel

ASK = "Use GetWeather for Paris this week."


class GetWeather(BaseModel):
    """Get the weather for a city over some days."""

    city: str
    days: int


class Minutes(BaseModel):
    title: str
    decisions: list[str]
    owner: str | None
