-- Which office's registry administrator loaded a snapshot (NULL: a national load from the
-- command line). Its rejected rows are that office's to read; an office's import covers
-- its own regions only, and the other regions' members are carried over unchanged.
ALTER TABLE eligibility.registry_snapshots ADD COLUMN office text;
