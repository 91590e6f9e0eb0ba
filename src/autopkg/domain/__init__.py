"""The domain's values: plain types every layer may import, importing no layer above."""
