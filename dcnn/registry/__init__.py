"""One typed, registered object for each way dcnn grows: a model (models.py) and a data source
(data.py). A new one is one entry in one file; nothing else in dcnn tests its name."""
