import { describeShard, MATRIX_PARTS, useMatrixWorld } from './world.ts';

/** Part 3 of the authorization matrix (matrix.test.ts says what it checks). */
describeShard(useMatrixWorld(), 2, MATRIX_PARTS);
