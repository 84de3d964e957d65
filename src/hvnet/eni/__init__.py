"""Reader for Debian ``/etc/network/interfaces`` files (ifupdown and ifupdown2 dialects).

Kept tiny so importing the package costs nothing; :mod:`hvnet.eni.syntax` is the parser and
:mod:`hvnet.eni.commands` recognises network definitions hidden in ``up``/``down`` commands.
"""

from hvnet.eni.syntax import Document, parse_file, parse_text

__all__ = ["Document", "parse_file", "parse_text"]
