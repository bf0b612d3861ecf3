"""Entry script of the PyInstaller build: the frozen executable runs exactly what `costctl` runs."""

from costctl.cli import main

if __name__ == "__main__":
    main()
