"""The top of the layers: the home page and the commands that drive every app (``jingzhun demo``)."""
