"""``python -m cleanse`` is the ``cleanse`` command."""

from cleanse.cli import main

if __name__ == "__main__":
    main()
