-- CreateTable
CREATE TABLE `orders` (
  `id` CHAR(36) NOT NULL,
  `customer_id` CHAR(36) NULL,
  `store_id` CHAR(36) NOT NULL,
  `status` VARCHAR(32) NOT NULL,
  `idempotency_key` VARCHAR(64) NOT NULL,
  `delivery_address` TEXT NOT NULL,
  `total_minor` INTEGER NULL,
  `currency` CHAR(3) NULL,
  `stock_reserved` BOOLEAN NOT NULL DEFAULT false,
  `courier_id` CHAR(36) NULL,
  `rejection_reason` VARCHAR(32) NULL,
  `rejection_details` TEXT NULL,
  `placed_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  `updated_at` DATETIME(3) NOT NULL,
  UNIQUE INDEX `orders_customer_id_idempotency_key_key` (`customer_id`, `idempotency_key`),
  INDEX `orders_store_id_placed_at_idx` (`store_id`, `placed_at`),
  INDEX `orders_customer_id_placed_at_idx` (`customer_id`, `placed_at`),
  INDEX `orders_courier_id_idx` (`courier_id`),
  PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `order_lines` (
  `order_id` CHAR(36) NOT NULL,
  `line_no` INTEGER NOT NULL,
  `pick_id` CHAR(36) NOT NULL,
  `quantity` INTEGER NOT NULL,
  `unit_price_minor` INTEGER NULL,
  `currency` CHAR(3) NULL,
  PRIMARY KEY (`order_id`, `line_no`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `order_status_changes` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `order_id` CHAR(36) NOT NULL,
  `from_status` VARCHAR(32) NULL,
  `to_status` VARCHAR(32) NOT NULL,
  `trigger` VARCHAR(32) NOT NULL,
  `actor_id` CHAR(36) NULL,
  `event_id` CHAR(36) NULL,
  `reason` VARCHAR(500) NULL,
  `at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  INDEX `order_status_changes_order_id_id_idx` (`order_id`, `id`),
  PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `store_owners` (
  `store_id` CHAR(36) NOT NULL,
  `owner_id` CHAR(36) NOT NULL,
  `status` VARCHAR(32) NOT NULL,
  INDEX `store_owners_owner_id_idx` (`owner_id`),
  PRIMARY KEY (`store_id`)
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

-- AddForeignKey
ALTER TABLE `order_lines` ADD CONSTRAINT `order_lines_order_id_fkey` FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE `order_status_changes` ADD CONSTRAINT `order_status_changes_order_id_fkey` FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;
