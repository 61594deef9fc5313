"""AS2 instances (our identities), partners, and the partnerships that join them."""
