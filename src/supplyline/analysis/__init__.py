"""Analysis: the workspace (data context), queries with typed results, the timeline."""
