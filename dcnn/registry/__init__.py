"""One typed, registered object for each way dcnn grows: a model (models.py; timm's and the user's own
through adapters.py), a data source (data.py) and a report part (parts.py). A new one is one entry in
one file; nothing else in dcnn tests its name."""
from . import adapters  # noqa: F401  (registers the model families: timm/<name>, package.module:Class)
