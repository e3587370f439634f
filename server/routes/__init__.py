"""One module per resource: ask, chat, the OpenAI-compatible API, documents, keys, health and
metrics, the page, Slack's HTTP endpoint. Each holds an `APIRouter` that server/app.py includes;
a route parses, checks access (server/deps.py), calls rag/ and shapes the reply, nothing else."""
