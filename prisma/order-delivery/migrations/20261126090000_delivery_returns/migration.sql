-- A delivery whose order was cancelled after pick-up goes back to its store (RETURNING, then RETURNED):
-- statuses are VARCHAR, so only the time of the return is new.
ALTER TABLE `deliveries` ADD COLUMN `returned_at` DATETIME(3) NULL AFTER `cancelled_at`;
