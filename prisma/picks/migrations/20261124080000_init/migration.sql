-- CreateTable
CREATE TABLE `stores` (
  `id` CHAR(36) NOT NULL,
  `owner_id` CHAR(36) NOT NULL,
  `status` VARCHAR(32) NOT NULL,
  `revision` INT NULL,
  `snapshot_at` DATETIME(3) NOT NULL,
  `updated_at` DATETIME(3) NOT NULL,
  PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
-- The CHECKs are the last line of defence of the stock invariant: never negative, never oversold.
CREATE TABLE `picks` (
  `id` CHAR(36) NOT NULL,
  `store_id` CHAR(36) NOT NULL,
  `name` VARCHAR(120) NOT NULL,
  `description` VARCHAR(2000) NULL,
  `price_minor` INT NOT NULL,
  `currency` CHAR(3) NOT NULL,
  `stock` INT NOT NULL,
  `reserved` INT NOT NULL DEFAULT 0,
  `available` BOOLEAN NOT NULL DEFAULT true,
  `images` TEXT NOT NULL,
  `tags` TEXT NOT NULL,
  `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  `updated_at` DATETIME(3) NOT NULL,
  `deleted_at` DATETIME(3) NULL,
  PRIMARY KEY (`id`),
  KEY `picks_store_name_idx` (`store_id`, `name`, `id`),
  CONSTRAINT `picks_store_id_fkey` FOREIGN KEY (`store_id`) REFERENCES `stores` (`id`) ON DELETE RESTRICT ON UPDATE CASCADE,
  CONSTRAINT `picks_price_not_negative` CHECK (`price_minor` >= 0),
  CONSTRAINT `picks_stock_not_negative` CHECK (`stock` >= 0),
  CONSTRAINT `picks_reserved_within_stock` CHECK (`reserved` >= 0 AND `reserved` <= `stock`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `reservations` (
  `order_id` CHAR(36) NOT NULL,
  `store_id` CHAR(36) NOT NULL,
  `state` VARCHAR(16) NOT NULL,
  `outcome` VARCHAR(16) NOT NULL,
  `total_minor` BIGINT NULL,
  `currency` CHAR(3) NULL,
  `reasons` TEXT NULL,
  `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  `updated_at` DATETIME(3) NOT NULL,
  PRIMARY KEY (`order_id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `reservation_lines` (
  `order_id` CHAR(36) NOT NULL,
  `line_no` INT NOT NULL,
  `pick_id` CHAR(36) NOT NULL,
  `quantity` INT NOT NULL,
  `unit_price_minor` INT NOT NULL,
  `currency` CHAR(3) NOT NULL,
  PRIMARY KEY (`order_id`, `line_no`),
  KEY `reservation_lines_pick_id_idx` (`pick_id`),
  CONSTRAINT `reservation_lines_order_id_fkey` FOREIGN KEY (`order_id`) REFERENCES `reservations` (`order_id`) ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT `reservation_lines_pick_id_fkey` FOREIGN KEY (`pick_id`) REFERENCES `picks` (`id`) ON DELETE RESTRICT ON UPDATE CASCADE,
  CONSTRAINT `reservation_lines_quantity_positive` CHECK (`quantity` > 0)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `outbox` (
  `seq` BIGINT NOT NULL AUTO_INCREMENT,
  `id` CHAR(36) NOT NULL,
  `type` VARCHAR(128) NOT NULL,
  `payload` LONGTEXT NOT NULL,
  `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  `sent_at` DATETIME(3) NULL,
  `attempts` INT NOT NULL DEFAULT 0,
  `last_error` VARCHAR(1000) NULL,
  PRIMARY KEY (`seq`),
  UNIQUE KEY `outbox_id_key` (`id`),
  KEY `outbox_sent_at_seq_idx` (`sent_at`, `seq`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `inbox` (
  `consumer` VARCHAR(128) NOT NULL,
  `event_id` CHAR(36) NOT NULL,
  `event_type` VARCHAR(128) NOT NULL,
  `processed_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (`consumer`, `event_id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
