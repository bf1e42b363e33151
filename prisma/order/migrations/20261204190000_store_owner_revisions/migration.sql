-- Which store snapshot each row reflects, so a late or replayed store event never rolls ownership back.
-- Rows from before carry no revision and the epoch as their time: the next store event replaces them.
ALTER TABLE `store_owners`
  ADD COLUMN `revision` INTEGER NULL,
  ADD COLUMN `snapshot_at` DATETIME(3) NOT NULL DEFAULT '1970-01-01 00:00:00.000';
ALTER TABLE `store_owners` ALTER COLUMN `snapshot_at` DROP DEFAULT;
