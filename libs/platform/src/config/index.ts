export * from './config';
export * from './config.module';
export { kafkaSecurityOf, KAFKA_SASL_MECHANISMS, type KafkaSaslMechanism, type KafkaSecurity } from './kafka-security';
export { secretInDataDir, type GeneratedSecret } from './generated-secret';
