"""Operations behind ./run: the CLI, imports, backup and restore, certificates, the simulator."""
