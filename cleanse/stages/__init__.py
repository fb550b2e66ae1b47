"""Row and corpus stages; see ``base`` for the contract and ``registry`` for names."""
