"""The command-line options several `datafab` commands share, declared once with their help."""

from __future__ import annotations

from typing import Annotated

import typer

ApiKey = Annotated[
    str, typer.Option(envvar="DATAFAB_API_KEY", help="Requester API key.", show_default=False)
]
Server = Annotated[str, typer.Option(envvar="DATAFAB_URL", help="The Datafab server's URL.")]
BaseUrl = Annotated[str, typer.Option(envvar="DATAFAB_MODEL_BASE_URL",
                                      help="The model endpoint's /v1 URL (vLLM, Ollama, "
                                      "llama.cpp, TGI, a hosted API).")]
ModelKey = Annotated[str, typer.Option(envvar="DATAFAB_MODEL_API_KEY", show_default=False,
                                       help="The model endpoint's API key.")]
Timeout = Annotated[float, typer.Option(help="Seconds per model request.")]
MaxRetries = Annotated[int, typer.Option(help="Retries per model request.")]
Concurrency = Annotated[int, typer.Option(help="Model requests in flight.")]
PricePrompt = Annotated[float, typer.Option(help="Price per million prompt tokens.")]
PriceCompletion = Annotated[float, typer.Option(help="Price per million completion tokens.")]
