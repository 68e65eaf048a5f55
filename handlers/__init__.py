"""Channel-neutral conversation flows and the engine that runs them."""
