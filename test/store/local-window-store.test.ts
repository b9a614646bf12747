import { LocalWindowStore } from '../../src/store/local-window-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { contractDevice } from './store-contract.js';
import { windowStoreContract } from './window-store-contract.js';

windowStoreContract('LocalWindowStore over SqliteStore :memory:', async () => {
  const store = SqliteStore.open(':memory:');
  return {
    windows: new LocalWindowStore(store),
    registerDevices: async (ids) => {
      await store.createDevices(ids.map((id) => contractDevice(id)));
    },
  };
});
