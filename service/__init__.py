"""lbp-kg: a knowledge-graph service for the musculoskeletal side of low back pain."""
