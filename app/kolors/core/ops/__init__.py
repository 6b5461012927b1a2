"""One file per operation. Each module registers one :class:`kolors.core.registry.Op`."""
