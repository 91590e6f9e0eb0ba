"""Built-in processors: every module here that defines a ``Processor`` subclass is one."""
