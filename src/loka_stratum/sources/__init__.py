"""Work sources: where block templates come from and where found blocks go."""
